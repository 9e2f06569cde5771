# config.mk: (empty until its component lands)
