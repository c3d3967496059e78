enum SeismoWatchModule {}
