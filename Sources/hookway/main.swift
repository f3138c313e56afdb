print("hookway")
