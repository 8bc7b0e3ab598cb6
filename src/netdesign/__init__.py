"""netdesign: supply-chain network design with Pyomo and HiGHS."""

from netdesign.data import ModelData
from netdesign.results import Results
from netdesign.validate import ModelValidationError, load_model

__all__ = ["ModelData", "ModelValidationError", "Results", "load_model"]
