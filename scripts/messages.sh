#!/bin/sh
# Re-extract the citizen-facing strings (portal, applications, documents, messages, the
# satisfaction survey and the
# pieces they use) into src/wraparound/locale, then compile them. Staff pages are English
# only, so their sources are left out. Needs GNU gettext (msgfmt) on the machine running
# it; the compiled .mo files are committed because CI has no msgfmt.
set -eu
cd "$(dirname "$0")/../src/wraparound"
WRAPAROUND_MODE=demo DATABASE_URL= ../../.venv/bin/wraparound makemessages -l cy -l fr \
  --no-obsolete --add-location file \
  -i "accounts/*" -i "analytics/*" -i "api/*" -i "assessments/*" -i "audit/*" -i "cases/*" \
  -i "crisis/*" -i "flags/*" -i "linkage/*" -i "notifications/*" -i "referrals/*" \
  -i "enrolments/*" -i "directory/hsds/*" -i "directory/templates/*" -i "directory/views.py" \
  -i "directory/forms.py" -i "eligibility/templates/*" -i "eligibility/views.py" \
  -i "eligibility/forms.py" -i "people/templates/*" -i "people/views.py" -i "people/forms.py" \
  -i "consent/templates/*" -i "consent/views.py" -i "consent/forms.py" -i "plans/templates/*" \
  -i "plans/views.py" -i "plans/forms.py" -i "appointments/templates/*" \
  -i "appointments/views.py" -i "appointments/forms.py" -i "core/templates/base.html" \
  -i "core/templates/core/*" -i "core/templates/40*" -i "core/templates/500.html" \
  -i "locale/*" -i "*/migrations/*" -i "satisfaction/templates/satisfaction/staff/*" \
  -i "satisfaction/staff_views.py" -i "satisfaction/demo.py" \
  -i "applications/templates/applications/inbox.html" -i "applications/templates/applications/detail.html" \
  -i "applications/templates/applications/_documents.html" -i "applications/views.py" \
  -i "messaging/templates/messaging/inbox.html" -i "messaging/templates/messaging/thread.html" \
  -i "messaging/templates/messaging/new.html" -i "messaging/views.py" \
  -i "documents/views.py" -i "portal/templates/portal/staff/*" -i "portal/staff_views.py"
for lang in cy fr; do
  msgfmt --check -o "locale/$lang/LC_MESSAGES/django.mo" "locale/$lang/LC_MESSAGES/django.po"
done
