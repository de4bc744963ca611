"""Files written and read: PNG/GIF images and grids (``imaging``, every write
atomic) and generator files with their config (``model_files``, read without
unpickling)."""
