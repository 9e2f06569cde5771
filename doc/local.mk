# doc/: documentation for administrators and packagers, the man pages and
# the systemd unit.
dist_doc_DATA += doc/liveness.md doc/sessions.md doc/liveness-library.md doc/session-store.md \
	doc/security.md doc/cluster.md doc/radius.md \
	doc/metrics.md doc/grafana-dashboard.json
dist_man_MANS += doc/ocserv-modern.8
# The normative specification the code cites (doc/spec/<file> §N).
specdir = $(docdir)/spec
dist_spec_DATA = doc/spec/liveness.md doc/spec/interop.md doc/spec/architecture.md

# systemd unit, with the installation paths substituted.
if HAVE_SYSTEMD_UNITDIR
systemdsystemunit_DATA = doc/ocserv-modern.service
endif
doc/ocserv-modern.service: $(top_srcdir)/doc/ocserv-modern.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) doc && sed -e 's|@sbindir[@]|$(sbindir)|g' \
	  -e 's|@sysconfdir[@]|$(sysconfdir)|g' -e 's|@SERVICE_TYPE[@]|$(SERVICE_TYPE)|g' \
	  $(top_srcdir)/doc/ocserv-modern.service.in > $@
EXTRA_DIST += doc/ocserv-modern.service.in
CLEANFILES += doc/ocserv-modern.service

# The PAM service of auth = pam: a sample stack, installed as
# $(sysconfdir)/pam.d/ocserv-modern (the service name is fixed).
EXTRA_DIST += doc/ocserv-modern.pam
install-data-local: install-pam-service
uninstall-local: uninstall-pam-service
install-pam-service:
	$(MKDIR_P) '$(DESTDIR)$(sysconfdir)/pam.d'
	$(INSTALL_DATA) $(top_srcdir)/doc/ocserv-modern.pam '$(DESTDIR)$(sysconfdir)/pam.d/ocserv-modern'
uninstall-pam-service:
	rm -f '$(DESTDIR)$(sysconfdir)/pam.d/ocserv-modern'
.PHONY: install-pam-service uninstall-pam-service

# The per-connection worker's manual page.
dist_man_MANS += doc/ocserv-modern-worker.8

# Packaging: the Debian package builds from the dist tarball as from the tree
# (tests/packaging/test-deb.sh, run by .ci/run on the tarball of make dist).
EXTRA_DIST += NEWS \
	debian/changelog debian/control debian/copyright debian/rules \
	debian/source/format debian/README.Debian debian/README.source \
	debian/ocserv-modern.postinst debian/ocserv-modern.postrm \
	debian/ocserv-modern.sysusers debian/ocserv-modern.tmpfiles \
	debian/ocserv-modern.install debian/libocsm-liveness0.install \
	debian/libocsm-liveness-dev.install \
	tests/packaging/test-deb.sh
