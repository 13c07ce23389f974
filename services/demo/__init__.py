"""The West Java demo: its data file and the loader that sends it as public HTTP commands
(``python -m services.demo`` or ``kerjasama demo``)."""
