"""县域优质均衡认定: government assurance, education quality, recognition and the county verdict."""
