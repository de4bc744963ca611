"""Files written and read: PNG/GIF images and grids (``imaging``, every write
atomic), generator files with their config (``model_files``), and the ``.npz``
reading under them that never unpickles (``npz_files``)."""
