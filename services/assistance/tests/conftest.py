from assistance.app import create_app
from assistance.settings import AssistanceSettings
from junheng_kit.testing.plugin import replicas_fixture, scope_fixtures, service_fixtures

service_dir, app, live_app = service_fixtures(create_app, AssistanceSettings)
replicas = replicas_fixture(create_app, AssistanceSettings)
reader, writer = scope_fixtures("assistance")
