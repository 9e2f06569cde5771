# worker.mk: (empty until its component lands)
