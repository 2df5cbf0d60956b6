"""Events evaluation consumes: enrollment's school registry → the local school copy."""

from evaluation.schools.models import School
from junheng_kit.school_directory import school_subscriptions

subscriptions = school_subscriptions(School, "evaluation")
