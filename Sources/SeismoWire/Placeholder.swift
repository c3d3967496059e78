enum SeismoWirePlaceholder {}
