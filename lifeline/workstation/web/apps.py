from django.apps import AppConfig


class WorkstationPagesConfig(AppConfig):
    name = "lifeline.workstation.web"
    label = "workstation_pages"

    def ready(self):
        from django.utils.translation import gettext

        from lifeline.his import wording

        wording.use(gettext)  # the desk services' refusals in the page's language
