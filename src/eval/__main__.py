"""`python -m src.eval checkpoints=[base,<path>,...] attack=<family> ...`: elicit, summarize, report."""

import hydra

from src.config import CONF_DIR, one_line_errors
from src.eval.stage import cli

main = hydra.main(config_path=CONF_DIR, config_name="eval", version_base="1.3")(one_line_errors(cli))

if __name__ == "__main__":
    main()
