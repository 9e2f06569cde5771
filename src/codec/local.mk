# src/codec: the wire parsers, pure functions over buffers: CSTP/DTLS
# frames, the look into DTLS records main routes by, HTTP requests, the
# PROXY protocol header and the XML aggregate-auth bodies. Each has unit
# tests and a fuzz target.
noinst_LIBRARIES += src/codec/libcodec.a
src_codec_libcodec_a_SOURCES = \
	src/codec/cstp.c src/codec/cstp.h \
	src/codec/dtls-legacy.c src/codec/dtls-legacy.h \
	src/codec/dtls-record.c src/codec/dtls-record.h \
	src/codec/hex.h \
	src/codec/http.c src/codec/http.h \
	src/codec/proxy.c src/codec/proxy.h \
	src/codec/xmlauth.c src/codec/xmlauth.h
