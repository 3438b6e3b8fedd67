"""The formal languages of Sarrof et al. 2024 and bounded Dyck, labelled with continuation sets."""

from . import nonregular, regular  # noqa: F401  (registration)
