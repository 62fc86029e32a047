from clusters.embedded.resources import find_plural
from clusters.embedded.status import already_exists, conflict, invalid, not_found

ROLLOUTS = find_plural("argoproj.io", "v1alpha1", "rollouts")
PODS = find_plural("", "v1", "pods")


def test_not_found_message_names_plural_and_group():
    error = not_found(ROLLOUTS, "nope")
    assert error.code == 404
    assert error.status["message"] == 'rollouts.argoproj.io "nope" not found'
    assert error.status["details"] == {"name": "nope", "kind": "rollouts", "group": "argoproj.io"}


def test_core_kinds_have_no_group():
    assert already_exists(PODS, "p").status["message"] == 'pods "p" already exists'


def test_conflict_message_is_the_one_clients_retry_on():
    assert "the object has been modified" in conflict(PODS, "p").status["message"]


def test_invalid_lists_causes():
    causes = [{"reason": "FieldValueInvalid", "message": "Invalid value: 0", "field": "spec.x"}]
    error = invalid(ROLLOUTS, "r", causes)
    assert error.code == 422
    assert error.status["message"] == 'Rollout.argoproj.io "r" is invalid: spec.x: Invalid value: 0'
    assert error.status["details"]["causes"] == causes
