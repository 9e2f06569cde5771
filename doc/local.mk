# local.mk: (empty until its component lands)
