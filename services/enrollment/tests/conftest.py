from enrollment.app import create_app
from enrollment.settings import EnrollmentSettings
from junheng_kit.testing.plugin import replicas_fixture, scope_fixtures, service_fixtures

service_dir, app, live_app = service_fixtures(create_app, EnrollmentSettings)
replicas = replicas_fixture(create_app, EnrollmentSettings)
reader, writer = scope_fixtures("enrollment")
