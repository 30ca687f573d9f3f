"""How discrete training time maps onto the seconds of exact simulation and NIR graphs."""

TRAINING_DT = 1e-3  # s: one training step is taken as 1 ms of continuous time
TIME_UNIT = 1e-3  # s: one time unit of a temporal-coding model (its input interval [0, 1]) is taken as 1 ms
