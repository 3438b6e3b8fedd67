"""The one exception type for bad user input; the CLI prints its message as a single line."""


class StateTrackError(ValueError):
    """Bad input from a user: the message names the problem and the fix."""
