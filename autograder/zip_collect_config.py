"""nbgrader configuration for `nbgrader zip_collect`: the course's own configuration, plus
where the archives from a learning-management system go and how their file names give the
learner's id. Load it explicitly (nbgrader then reads only this file, which loads the other):

    nbgrader zip_collect ASSIGNMENT --ZipCollectApp.config_file=autograder/zip_collect_config.py

(nbgrader then logs "No nbgrader_config.py file found": harmless, the line below loads it.)
"""
from pathlib import Path

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)
# load_subconfig passes over a missing file in silence; this check at least logs an error.
HERE = Path(__file__).resolve().parent
assert (HERE / "nbgrader_config.py").is_file(), f"nbgrader_config.py not found beside {__file__}"
load_subconfig("nbgrader_config.py", path=str(HERE))  # noqa: F821

# Put the downloaded archive(s) in autograder/downloaded/<assignment>/archive/ (ignored by git:
# it holds learners' work); zip_collect unpacks them into .../extracted/ and copies each
# notebook to autograder/submitted/<student_id>/<assignment>/, ready for autograder.grade.
c.ZipCollectApp.downloaded_directory = "autograder/downloaded"

# Canvas's "Download submissions" names each file
#   <lastnamefirstname>_[late_]<canvas user id>_<submission id>_<file name as uploaded>
# and adds -1, -2, ... to the file name of a resubmission. The learner id is the Canvas user
# id (the ID column of Canvas's gradebook export, so grades map back without names).
# The pattern is matched against the whole path of each extracted file.
c.FileNameCollectorPlugin.named_regexp = (
    r".*/[^/_]+_(?i:late_)?(?P<student_id>\d+)_\d+_(?P<file_id>[^/]+?)(?:-\d+)?\.ipynb$"
)
# For another system, change the pattern: it needs the groups student_id and file_id
# (file_id without .ipynb). Moodle, with "download submissions in folders", gives
# <Full Name>_<id>_assignsubmission_file_/<file name>, which this pattern reads:
#   r".*/[^/]+_(?P<student_id>\d+)_assignsubmission_file_/(?P<file_id>[^/]+)\.ipynb$"
