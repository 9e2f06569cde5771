# codec.mk: (empty until its component lands)
