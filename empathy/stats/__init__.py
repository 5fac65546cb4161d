"""Statistics of the warehouse: pure functions on pandas frames, each checked against its reference in the tests
(weighting and survey estimates, survival and Cox models, rater agreement, behaviour effects)."""
