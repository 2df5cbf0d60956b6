"""学位: seat plans per school, level and year, class-size policy and the 学位预警 forecast."""
