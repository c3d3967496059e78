enum SeismoStorePlaceholder {}
