enum SeismoServerPlaceholder {}
