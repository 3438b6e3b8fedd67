"""The formal languages of Sarrof et al. 2024 and bounded Dyck, labelled with continuation sets (or, with
``label_framing="sarrof"``, with the paper's coarser targets projected from them: see `framing`)."""

from . import nonregular, regular  # noqa: F401  (registration)
