"""Speed benchmarks of autoencoder_np against PyTorch, scikit-learn and Keras. Not tests: nothing here asserts a time.

Run from the repository root (``pip install -e ".[bench]"`` brings the optional competitors)::

    python -m benchmarks.run [--quick] [--threads 1 2] [--json out.json] [--out benchmark_output]

``run`` starts one fresh worker process per thread count with the BLAS/OpenMP thread variables pinned before
NumPy or PyTorch load, and one more for the peak-memory measurement. It writes JSON, a Markdown table and the
scaling figure into ``--out`` (never committed). Modules: ``cases`` (the four cases and their data),
``timing`` (interleaved repetitions, GEMM-bound limit, machine load), ``competitors`` (PyTorch, scikit-learn,
Keras on the same model), ``worker`` (one pinned process), ``memory`` (peak RSS), ``report`` (Markdown, figure).
"""
