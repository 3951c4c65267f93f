"""armpy: build relocatable, tested CPython distributions for Arm targets."""
