"""The deterministic demo-data generator (``python -m empathy.demo.generate``): raw tables of the contract with
planted dirt and effects, and the truth to check them against. Never read by the warehouse."""
