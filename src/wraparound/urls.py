from django.contrib import admin
from django.urls import include, path

from wraparound.api.api import api
from wraparound.core import views as core_views
from wraparound.directory.hsds_api import hsds_api

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("", include("wraparound.core.urls")),
    path("accounts/", include("wraparound.accounts.urls")),
    path("people/", include("wraparound.people.urls")),
    path("cases/", include("wraparound.cases.urls")),
    path("assessments/", include("wraparound.assessments.urls")),
    path("plans/", include("wraparound.plans.urls")),
    path("crisis/", include("wraparound.crisis.urls")),
    path("directory/", include("wraparound.directory.urls")),
    path("eligibility/", include("wraparound.eligibility.urls")),
    path("linkage/", include("wraparound.linkage.urls")),
    path("notifications/", include("wraparound.notifications.urls")),
    path("referrals/", include("wraparound.referrals.urls")),
    path("enrolments/", include("wraparound.enrolments.urls")),
    path("appointments/", include("wraparound.appointments.urls")),
    path("flags/", include("wraparound.flags.urls")),
    path("applications/", include("wraparound.applications.urls")),
    path("documents/", include("wraparound.documents.urls")),
    path("messages/", include("wraparound.messaging.urls")),
    # Citizen pages of other apps first, then the portal's own.
    path("portal/applications/", include("wraparound.applications.portal_urls")),
    path("portal/documents/", include("wraparound.documents.portal_urls")),
    path("portal/messages/", include("wraparound.messaging.portal_urls")),
    path("portal/", include("wraparound.portal.urls")),
    path("citizens/", include("wraparound.portal.staff_urls")),
    path("survey/", include("wraparound.satisfaction.urls")),
    path("analytics/", include("wraparound.analytics.urls")),
    path("consent/evidence/", include("wraparound.consent.evidence_urls")),
    path("consent/", include("wraparound.consent.urls")),
    path("api/v1/", api.urls),
    path("hsds/", hsds_api.urls),
    path("admin/", admin.site.urls),
]
