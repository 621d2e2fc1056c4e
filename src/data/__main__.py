"""`python -m src.data`: generate the scenario splits and dataset card into the run directory."""

import hydra

from src.config import CONF_DIR, one_line_errors
from src.data.stage import cli

main = hydra.main(config_path=CONF_DIR, config_name="data", version_base="1.3")(one_line_errors(cli))

if __name__ == "__main__":
    main()
