"""Classroom assignments made from the package itself: starter code, and an autograder.

``python -m autoencoder_np assignment list | create DIR --parts … | grade DIR`` (see docs/assignments.md).

- ``markers``: the solution regions in the source (``# BEGIN SOLUTION <id>`` … ``# END SOLUTION``) and the
  starter code made by replacing them with ``raise NotImplementedError("<id>: <hint>")``.
- ``catalogue``: the parts (dense, activations, losses, adam, autoencoder, masked-loss) and default points.
- ``workspace``: ``create``, the student workspace; ``config``: its ``assignment.json``.
- ``grading``: ``grade``, one process per function with a time limit; ``worker``: that process;
  ``checks``: what each function must do (gradient checks, the docstrings' equations).

Importing this package imports nothing but the standard library: ``checks`` (NumPy, the gradient checker)
loads only inside a worker.
"""
