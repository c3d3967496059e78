enum SeismoParquetPlaceholder {}
