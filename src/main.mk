# main.mk: (empty until its component lands)
