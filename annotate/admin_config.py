"""django.contrib.admin's app config with ClaimDesk's site (INSTALLED_APPS names it in the
admin's place). In a module of its own: INSTALLED_APPS imports it while the apps load, before
the site's forms and models can be imported, and a second config in `annotate.apps` would stop
Django from choosing the app's own."""
from django.contrib.admin.apps import AdminConfig


class ClaimDeskAdminConfig(AdminConfig):
    default_site = "annotate.admin_site.ClaimDeskAdminSite"
