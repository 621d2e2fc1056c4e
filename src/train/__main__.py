"""`python -m src.train stage=implant|align method=... peft=...`: one training run, resumable."""

import hydra

from src.config import CONF_DIR, one_line_errors
from src.train.stage import cli

main = hydra.main(config_path=CONF_DIR, config_name="train", version_base="1.3")(one_line_errors(cli))

if __name__ == "__main__":
    main()
