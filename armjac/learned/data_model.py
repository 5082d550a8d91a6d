"""The model :func:`armjac.learned.train_from_data` returns: a network on a nominal arm."""

from __future__ import annotations

from armjac.learned.data_config import KIND
from armjac.learned.model import LearnedModel


class DataModel(LearnedModel):
    """A model learned from measured data (see :mod:`armjac.learned.from_data`).

    ``nominal`` is a :class:`~armjac.learned.residual.TipNominal` (or None): the arm the
    network's output is added to, saved with the model and rebuilt exactly on load (its
    record carries check positions, so an edited nominal is refused).
    """

    KIND = KIND

    def nominal_record(self, folder) -> dict | None:
        """Write the nominal's URDF into ``folder``; the JSON record for model.json."""
        if self.nominal is None:
            return None
        self.nominal.write(folder)
        return self.nominal.record(self.bounds)

    def __repr__(self) -> str:
        base = "" if self.nominal is None else f", residual on {self.nominal.arm.name}"
        return f"DataModel(dof={self.dof}, {self.n_neurons} tanh neurons{base})"
