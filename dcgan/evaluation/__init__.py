"""Quality and memorisation checks on host (NumPy) images: SWD and nearest
neighbours. They never touch a model; extensions and the CLI call them."""
