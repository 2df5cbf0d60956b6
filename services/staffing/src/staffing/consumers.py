"""Events staffing consumes: enrollment's school registry → the local school copy."""

from junheng_kit.school_directory import school_subscriptions
from staffing.schools.models import School

subscriptions = school_subscriptions(School, "staffing")
