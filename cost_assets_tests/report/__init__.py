"""Tests of the explain layer: variance, trajectories, annotations, charts and the report."""
