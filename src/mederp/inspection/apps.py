from django.apps import AppConfig


class InspectionConfig(AppConfig):
    name = "mederp.inspection"
    label = "inspection"
    verbose_name = "Inspection: plans, incoming inspection, dispositions"
