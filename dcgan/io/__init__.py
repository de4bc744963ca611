"""Files written and read: PNG/GIF images and grids (``imaging``, every write
atomic), generator files with their config (``model_files``), and the ``.npz``
reading under them that never unpickles (``npz_files``); a run's output folder
(``run_folder``) and the HTML report pages made from it (``run_report``,
``compare_report``, with ``report_html`` and ``svg_chart``)."""
