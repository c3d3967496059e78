enum SeismoExportModule {}
