"""Classroom assignments made from the package itself: a student handout, a teacher folder, an autograder.

``python -m autoencoder_np assignment list | create | grade | grade-all | export`` (see docs/assignments.md).

- ``markers``: the solution regions in the source and the starter code made by stripping them.
- ``catalogue``: the parts and default points; ``config``: the grading config (points, shares, seeds).
- ``workspace``: ``create``, the handout and the teacher folder; ``readmes``: the texts it writes.
- ``checks/``: one module per part: the cases, what runs in the student's process, and the verdict;
  ``reference``: what each case should give (teacher side only, never in a handout).
- ``submission``: the files a submission provides; ``grading``: one submission, each function in a
  student's process (``worker``) judged here; ``results``: scores, feedback, JSON.
- ``classroom``: ``grade-all`` and the gradebook; ``gradescope``: the autograder zip and results.json.

Importing this package imports nothing but the standard library.
"""
