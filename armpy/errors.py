"""The one error type users see: a single line saying what is wrong and what to do."""


class ArmpyError(Exception):
    """A problem with input or environment, reported as one line without a traceback."""


class Interrupted(ArmpyError):
    """The user stopped the build (Ctrl-C): nothing is wrong with the input."""
