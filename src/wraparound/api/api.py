from ninja import NinjaAPI

api = NinjaAPI(title="Wraparound API", version="1")
