from evaluation.app import create_app
from evaluation.settings import EvaluationSettings
from junheng_kit.testing.plugin import service_fixtures

service_dir, app, live_app = service_fixtures(create_app, EvaluationSettings)
