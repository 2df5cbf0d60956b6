from junheng_kit.testing.plugin import replicas_fixture, scope_fixtures, service_fixtures
from staffing.app import create_app
from staffing.settings import StaffingSettings

service_dir, app, live_app = service_fixtures(create_app, StaffingSettings)
replicas = replicas_fixture(create_app, StaffingSettings)
reader, writer = scope_fixtures("staffing")
