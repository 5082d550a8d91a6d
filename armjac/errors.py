"""Exceptions raised by armjac.

Every error derives from :class:`ArmjacError`; the specific classes also derive
from the builtin a caller would expect (``ValueError``, ``KeyError`` ...), so
``except ValueError`` keeps working.
"""


class ArmjacError(Exception):
    """Base class of all armjac errors."""


class URDFError(ArmjacError, ValueError):
    """A robot description that cannot be parsed or is not a valid tree."""


class URDFWarning(UserWarning):
    """A robot description armjac loads but doubts: a non-physical inertia, a mimic joint."""


class ConfigError(ArmjacError, ValueError):
    """A YAML configuration that is malformed or names something unknown."""


class UnknownLinkError(ArmjacError, KeyError):
    """A link name that the robot does not have."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class ModelFileError(ConfigError):
    """A saved model folder that is missing, incomplete, corrupt or of an unknown format."""


class InputError(ArmjacError, ValueError):
    """A numeric input with the wrong shape or non-finite values."""


class SingularityError(ArmjacError, ArithmeticError):
    """A configuration where the requested quantity is undefined."""


class CacheError(ArmjacError, RuntimeError):
    """A generated-code cache entry that cannot be used."""


class SimulationError(ArmjacError, RuntimeError):
    """A simulation that diverged or was driven with invalid commands."""
