"""Reading input files (framework YAML, data files) into validated domain objects, with located errors."""
