enum SeismoAlertingModule {}
